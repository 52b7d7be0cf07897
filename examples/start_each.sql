-- Run once per record of a CSV (record 3 has a bad meeting id: it is reported, the rest still run):
-- httpql exec --emulator -f examples/start_each.sql --each examples/meetings.csv --var account_id=demo-account --var app_id=demo-app
-- :meeting_id and {{ name }} come from the record's columns; account and app from --var.
INSERT INTO cloudflare.realtime_kit.livestreams (meeting_id, name, account_id, app_id)
SELECT :meeting_id, '{{ name }}', '{{ account_id }}', '{{ app_id }}'
RETURNING meeting_id, data.stream_key, data.playback_url;

-- Start livestreaming a meeting and print what to push to and where to watch.
-- Run against the local emulator:  httpql exec --emulator -f examples/start_livestream.sql
INSERT INTO cloudflare.realtime_kit.livestreams (name, video_config, meeting_id, account_id, app_id)
SELECT 'town-hall', '{"height": 720, "width": 1280}', '5b8e2a3c-6f1d-4c2b-9a7e-0d3f4e5a6b7c',
       'demo-account', 'demo-app'
RETURNING data.id AS livestream_id, data.ingest_server, data.stream_key, data.playback_url, success;

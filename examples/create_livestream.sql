-- Create livestreams that belong to no meeting: no meeting_id, so httpql picks
-- create_independent_livestream. Two rows send two requests, in order.
-- Run against the local emulator:  httpql exec --emulator -f examples/create_livestream.sql
INSERT INTO cloudflare.realtime_kit.livestreams (name, account_id, app_id)
VALUES ('studio-a', 'demo-account', 'demo-app'),
       ('studio-b', 'demo-account', 'demo-app')
RETURNING data.id, data.name, data.stream_key, data.playback_url;

-- Start a meeting's livestream, then stop it. The EXEC is written as on stackql's page:
-- the commas sit inside the comments, and httpql does not need them.
-- Run against the local emulator:  httpql exec --emulator -f examples/stop_livestream.sql
INSERT INTO cloudflare.realtime_kit.livestreams (name, meeting_id, account_id, app_id)
SELECT 'all-hands', '9c0d6e7f-1a2b-4c3d-8e9f-a0b1c2d3e4f5', 'demo-account', 'demo-app'
RETURNING data.status;

EXEC cloudflare.realtime_kit.livestreams.stop_livestreaming_a_meeting
@meeting_id='9c0d6e7f-1a2b-4c3d-8e9f-a0b1c2d3e4f5' --required,
@account_id='demo-account' --required,
@app_id='demo-app' --required
;

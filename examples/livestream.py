"""Start and stop a meeting's livestream from Python, against the local emulator.

    python examples/livestream.py

With a real account: httpql.connect() reads CLOUDFLARE_API_TOKEN, and you pass your own
account_id, app_id and meeting_id.
"""

import uuid

import httpql

RESOURCE = "cloudflare.realtime_kit.livestreams"

with httpql.connect(emulator=True) as conn:
    meeting = str(uuid.uuid4())
    where = f"'{meeting}', 'demo-account', 'demo-app'"
    [row] = conn.execute(
        f"INSERT INTO {RESOURCE} (name, meeting_id, account_id, app_id) "
        f"SELECT 'python-demo', {where} RETURNING data.stream_key AS key, data.playback_url AS url"
    )
    print("push with stream key", row["key"])
    print("watch at", row["url"])

    try:
        conn.execute(f"INSERT INTO {RESOURCE} (name, meeting_id, account_id, app_id) "
                     f"SELECT 'again', {where}")
    except httpql.ApiError as e:  # the meeting is already live
        print(f"second start refused: HTTP {e.status}: {e.api_message}")

    [result] = conn.run(f"EXEC {RESOURCE}.stop_livestreaming_a_meeting @meeting_id='{meeting}' "
                        "@account_id='demo-account' @app_id='demo-app'")
    print(result.message)

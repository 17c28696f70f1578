-- Serves CountActiveUsers, which the report snapshot runs twice per app
-- every hour and at every start: WHERE app_id = ? AND last_used_at >= ?
-- becomes a range over the recently used entries of this index, and
-- user_id, the only other column the query needs, is in it too, so the
-- table is not read. Without it the query walked every credential of the
-- app. A sign-in's update of last_used_at now also moves its entry here.
-- Building it at the first start after an upgrade takes about 2 s for a
-- million credentials on the machine of docs/benchmarks.md.
CREATE INDEX credentials_last_used ON credentials (app_id, last_used_at, user_id);

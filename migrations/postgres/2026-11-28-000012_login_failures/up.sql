-- Failed logins, per account (`account:<email>`) and per client address
-- (`address:<ip>`), where every server sees them: past a threshold within
-- the window the key is locked for a while, doubling with each further
-- failure. Successes are not counted.
CREATE TABLE login_failures (
    key             TEXT PRIMARY KEY,
    failures        INTEGER NOT NULL,
    last_failure_at TIMESTAMP NOT NULL,
    locked_until    TIMESTAMP
);

-- Issue 25: reserved (placeholder while the issue is built).
CREATE TABLE placeholder_0010 (id INTEGER);

-- Issue 25: reserved for the owner of this migration (placeholder while the issue is built).
CREATE TABLE placeholder_0013 (id INTEGER);

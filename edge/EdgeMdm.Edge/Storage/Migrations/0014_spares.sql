-- Issue 25: reserved for the owner of this migration (placeholder while the issue is built).
CREATE TABLE placeholder_0014 (id INTEGER);

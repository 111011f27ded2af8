INSERT INTO alerts (kind, subject, message, raised_at) VALUES ('storage', 'disk', 'free space below the floor', 1764001100000);

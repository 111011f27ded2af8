INSERT INTO compliance_samples (at, devices, compliant, non_compliant, unknown) VALUES (1764001700000, 3, 1, 1, 1);

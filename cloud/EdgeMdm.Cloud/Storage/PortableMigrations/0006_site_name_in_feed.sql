-- Issue: an appliance started with only a hub and a credential never learnt its site's id and name. The same
-- text for both backends.

-- The feed position of the SiteRenamed that carries the site's current name: a new site's feed starts with
-- one, a rename appends one. NULL for a site registered before this migration, whose feed has none yet: the
-- hub appends one at its next start (Sites/SiteServices.StartSitesAsync) and records its position here.
ALTER TABLE sites ADD COLUMN name_position BIGINT;

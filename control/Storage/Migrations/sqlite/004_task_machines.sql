-- Which machine a task runs on when tasks launch through images and reserves (Images:Enabled): the provider's
-- machine id and how it was had ('reserve' = a warm reserve was claimed, 'cold' = created on demand).
ALTER TABLE tasks ADD COLUMN machine_id TEXT;
ALTER TABLE tasks ADD COLUMN machine_source TEXT;

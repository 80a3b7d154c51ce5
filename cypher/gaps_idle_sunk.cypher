// Idle sunk members: a SUNK_TO edge valid on the day, but no CONTACTS and no ASSIGNED_TO valid on it.
// $day: ISO date; $unavailable: [member id] (what-if)
// returns: member
MATCH (m:Member)-[s:SUNK_TO]->(:Org)
WHERE {valid:s}
WITH DISTINCT m
OPTIONAL MATCH (m)-[c:CONTACTS]->(:Household)
WHERE {valid:c}
WITH m, count(c) AS contacts
OPTIONAL MATCH (m)-[r:ASSIGNED_TO]->(:Area)
WHERE {valid:r}
WITH m, contacts, count(r) AS assignments
WHERE contacts = 0 AND assignments = 0
RETURN m.id AS member
ORDER BY member

// Cross-boundary contacts: a member with a SUNK_TO valid on the day contacts (on the day) a located
// household outside every area governed, on the day, by the organizations the member sunk to.
// $day: ISO date; $unavailable: [member id] (what-if)
// returns: member, household
MATCH (m:Member)-[s:SUNK_TO]->(:Org)
WHERE (s.since = '' OR s.since <= $day) AND (s.until IS NULL OR $day <= s.until)
WITH DISTINCT m
MATCH (m)-[c:CONTACTS]->(h:Household)-[:LOCATED_IN]->(home:Area)
WHERE (c.since = '' OR c.since <= $day) AND (c.until IS NULL OR $day <= c.until)
WITH DISTINCT m, h
OPTIONAL MATCH (m)-[s2:SUNK_TO]->(:Org)-[g:GOVERNS]->(governed:Area)
WHERE (s2.since = '' OR s2.since <= $day) AND (s2.until IS NULL OR $day <= s2.until) AND (g.since = '' OR g.since <= $day) AND (g.until IS NULL OR $day <= g.until)
WITH m, h, collect(DISTINCT governed) AS governed
OPTIONAL MATCH (h)-[:LOCATED_IN]->(:Area)-[:WITHIN*0..]->(up:Area)
WITH m, h, governed, collect(DISTINCT up) AS ups
WHERE none(x IN ups WHERE x IN governed)
RETURN m.id AS member, h.id AS household
ORDER BY member, household

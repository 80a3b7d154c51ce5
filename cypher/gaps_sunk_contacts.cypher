// Cross-boundary contacts, first half: every contact (on the day) of a member with a SUNK_TO valid on the
// day, to a located household. The caller takes away gaps_inside_contacts.
// $day: ISO date; $unavailable: [member id] (what-if)
// returns: member, household
MATCH (m:Member)-[s:SUNK_TO]->(:Org)
WHERE (s.since = '' OR s.since <= $day) AND (s.until IS NULL OR $day <= s.until)
WITH DISTINCT m
MATCH (m)-[c:CONTACTS]->(h:Household)-[:LOCATED_IN]->(:Area)
WHERE (c.since = '' OR c.since <= $day) AND (c.until IS NULL OR $day <= c.until)
RETURN DISTINCT m.id AS member, h.id AS household

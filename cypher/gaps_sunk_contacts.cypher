// Cross-boundary contacts, the contacts: every contact (on the day) of a member with a SUNK_TO valid on the
// day, with the area the household is located in. The caller keeps those whose area has no ancestor
// among the areas the member's organizations govern (gaps_sunk_governed).
// $day: ISO date
// returns: contacts [[member, household, area]]
MATCH (m:Member)-[s:SUNK_TO]->(:Org)
WHERE {valid:s}
WITH DISTINCT m
MATCH (m)-[c:CONTACTS]->(h:Household)-[:LOCATED_IN]->(home:Area)
WHERE {valid:c}
RETURN collect([m.id, h.id, home.id]) AS contacts  // repeats are merged by the caller

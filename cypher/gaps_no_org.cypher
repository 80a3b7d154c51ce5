// Vacant posts, no_org: areas holding at least one household (in them or in an area within them) and
// governed by no organization on the day. Areas with households are found from the households' own
// areas upward, each area once.
// $day: ISO date; $unavailable: [member id] (what-if)
// returns: area
MATCH (:Household)-[:LOCATED_IN]->(home:Area)
WITH DISTINCT home
MATCH (home)-[:WITHIN*0..]->(a:Area)
WITH DISTINCT a
OPTIONAL MATCH (o:Org)-[g:GOVERNS]->(a)
WHERE {valid:g}
WITH a, count(o) AS orgs
WHERE orgs = 0
RETURN a.id AS area
ORDER BY area

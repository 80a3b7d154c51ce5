// Keep each household's location at hand after its LOCATED_IN edges change: h.homes, how many areas it is
// located in, and h.home, that area when there is exactly one (else null). Coverage groups by h.home
// instead of following LOCATED_IN from every household, which halves its cost.
// $households: [household id] whose LOCATED_IN edges were just written
UNWIND $households AS household_id
MATCH (h:Household {id: household_id})
OPTIONAL MATCH (h)-[:LOCATED_IN]->(a:Area)
WITH h, collect(a.id) AS homes
SET h.homes = size(homes), h.home = CASE WHEN size(homes) = 1 THEN homes[0] ELSE null END

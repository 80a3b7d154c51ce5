// Keep each household's location at hand after its LOCATED_IN edges change: h.homes, how many LOCATED_IN
// edges it has (whatever their dates), and h.home, the area of the one edge when it has exactly one and
// that edge is undated (valid on every day), else null. Coverage groups by h.home instead of following
// LOCATED_IN from every household, which halves its cost; a household with dated or several edges goes
// through located_several, and the caller picks the edges valid on a day.
// $households: [household id] whose LOCATED_IN edges were just written
UNWIND $households AS household_id
MATCH (h:Household {id: household_id})
OPTIONAL MATCH (h)-[r:LOCATED_IN]->(a:Area)
WITH h, count(r) AS homes,
     collect(CASE WHEN r.since = '' AND r.until IS NULL THEN a.id ELSE null END) AS open
SET h.homes = homes, h.home = CASE WHEN homes = 1 AND size(open) = 1 THEN open[0] ELSE null END

// The households located in any of some areas (the caller names an area and every area within it), as one list.
// $areas: [area id]
// returns: households [household id]
MATCH (h:Household)-[:LOCATED_IN]->(a:Area)
WHERE a.id IN $areas
RETURN collect(DISTINCT h.id) AS households

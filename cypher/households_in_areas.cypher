// The households located in any of some areas (the caller names an area and every area within it).
// $areas: [area id]
// returns: household
MATCH (h:Household)-[:LOCATED_IN]->(a:Area)
WHERE a.id IN $areas
RETURN DISTINCT h.id AS household

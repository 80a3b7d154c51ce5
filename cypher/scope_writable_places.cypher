// What decides which places a token may change (see orggraph.access.Scope), as rows for the caller to
// weigh: every area each household located within its areas in more than one place is located in, and
// every area governed by each organization governing one within them. Every edge counts, whatever its dates.
// $inside: [area id] within the token's areas
// returns: what ('located' or 'governs'), id (household or org), area
MATCH (a:Area)<-[:LOCATED_IN]-(h:Household)
WHERE a.id IN $inside AND h.homes > 1
WITH DISTINCT h
MATCH (h)-[:LOCATED_IN]->(b:Area)
RETURN DISTINCT 'located' AS what, h.id AS id, b.id AS area
UNION
MATCH (a:Area)<-[:GOVERNS]-(o:Org)
WHERE a.id IN $inside
WITH DISTINCT o
MATCH (o)-[:GOVERNS]->(b:Area)
RETURN DISTINCT 'governs' AS what, o.id AS id, b.id AS area

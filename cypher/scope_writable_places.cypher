// What decides which places a token may change (see orggraph.access.Scope): the households located
// within its areas and also outside them, the organizations governing an area within, and those also
// governing one outside. Every edge counts, whatever its dates.
// $inside: [area id] within the token's areas
// returns: what ('household_out', 'org_in' or 'org_out'), id
MATCH (a:Area)<-[:LOCATED_IN]-(h:Household)-[:LOCATED_IN]->(b:Area)
WHERE a.id IN $inside AND NOT b.id IN $inside
RETURN DISTINCT 'household_out' AS what, h.id AS id
UNION
MATCH (o:Org)-[:GOVERNS]->(a:Area)
WHERE a.id IN $inside
RETURN DISTINCT 'org_in' AS what, o.id AS id
UNION
MATCH (a:Area)<-[:GOVERNS]-(o:Org)-[:GOVERNS]->(b:Area)
WHERE a.id IN $inside AND NOT b.id IN $inside
RETURN DISTINCT 'org_out' AS what, o.id AS id

// What lies within a token's areas, past the areas themselves (see orggraph.access.Scope), in one
// row a node: the households located there, the organizations governing them or an area above, the
// members who contact those households, live in them, are assigned there, or hold a post in, belong or
// reported to one of those organizations (the units are in scope_units). Every edge counts, whatever its dates.
// $inside: [area id] within the token's areas; $governed: [area id] those and the areas above them
// returns: kind, id, households (for a member who contacts or lives in households located there: how many
// of those households, which decides whether the token may change the member; else null)
MATCH (h:Household)-[:LOCATED_IN]->(a:Area)
WHERE a.id IN $inside
RETURN DISTINCT 'Household' AS kind, h.id AS id, null AS households
UNION
MATCH (o:Org)-[:GOVERNS]->(a:Area)
WHERE a.id IN $governed
RETURN DISTINCT 'Org' AS kind, o.id AS id, null AS households
UNION
MATCH (m:Member)-[:CONTACTS|RESIDES_IN]->(h:Household)-[:LOCATED_IN]->(a:Area)
WHERE a.id IN $inside
WITH DISTINCT m, h
RETURN 'Member' AS kind, m.id AS id, count(h) AS households
UNION
MATCH (m:Member)-[:ASSIGNED_TO]->(a:Area)
WHERE a.id IN $inside
RETURN DISTINCT 'Member' AS kind, m.id AS id, null AS households
UNION
MATCH (m:Member)-[:HOLDS_POST|MEMBER_OF|SUNK_TO]->(:Org)-[:GOVERNS]->(a:Area)
WHERE a.id IN $governed
RETURN DISTINCT 'Member' AS kind, m.id AS id, null AS households

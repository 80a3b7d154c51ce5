// A token's read-only context (see orggraph.access.Scope): the organizations of its units and their
// post holders, and the members assigned to the areas above its own. Every edge counts, whatever its dates.
// $units: [unit id] of the token's members; $above: [area id] above the token's areas
// returns: kind, id
MATCH (o:Org)-[:OF_UNIT]->(u:Unit)
WHERE u.id IN $units
RETURN DISTINCT 'Org' AS kind, o.id AS id
UNION
MATCH (m:Member)-[:HOLDS_POST]->(:Org)-[:OF_UNIT]->(u:Unit)
WHERE u.id IN $units
RETURN DISTINCT 'Member' AS kind, m.id AS id
UNION
MATCH (m:Member)-[:ASSIGNED_TO]->(a:Area)
WHERE a.id IN $above
RETURN DISTINCT 'Member' AS kind, m.id AS id

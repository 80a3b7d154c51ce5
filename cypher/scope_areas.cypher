// A token's areas: each of them and every area within them, and every area above them.
// $areas: [area id] the token names
// returns: area, inside (true: within a named area; false: above one)
MATCH (a:Area)-[:WITHIN*0..]->(r:Area)
WHERE r.id IN $areas
RETURN DISTINCT a.id AS area, true AS inside
UNION
MATCH (r:Area)-[:WITHIN*0..]->(up:Area)
WHERE r.id IN $areas
RETURN DISTINCT up.id AS area, false AS inside

// For each of some areas, the areas above it (so that the caller keeps only those within no other).
// $areas: [area id]
// returns: area, up
MATCH (a:Area)-[:WITHIN*1..]->(up:Area)
WHERE a.id IN $areas
RETURN DISTINCT a.id AS area, up.id AS up

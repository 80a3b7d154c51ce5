// Every area with itself and every area above it (each pair once, however many paths lead there).
// returns: area, up
MATCH (a:Area)-[:WITHIN*0..]->(up:Area)
RETURN DISTINCT a.id AS area, up.id AS up

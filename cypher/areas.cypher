// Every area with its name and level, and the areas it lies within.
// returns: area, name, level, parents [area id]
MATCH (a:Area)
OPTIONAL MATCH (a)-[:WITHIN]->(p:Area)
RETURN a.id AS area, a.name AS name, a.level AS level, collect(p.id) AS parents
ORDER BY area

// Every area with its name and level, and the areas it lies within, each WITHIN edge with its dates
// (whatever they are: the caller keeps them a revision and picks those valid on a day).
// returns: area, name, level, parents [[area id, since ('' when open), until (null when open)]]
MATCH (a:Area)
OPTIONAL MATCH (a)-[r:WITHIN]->(p:Area)
RETURN a.id AS area, a.name AS name, a.level AS level,
       collect(CASE WHEN p IS NULL THEN null ELSE [p.id, r.since, r.until] END) AS parents
ORDER BY area

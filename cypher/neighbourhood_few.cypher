// Around a few households, in one read: everything their chains are built from, each node with what the
// questions read of it ([id, name, level, status]; a household's [id, name, people, vulnerable]). Every
// edge is valid on the day (the areas above a household's are reached by WITHIN edges valid on it: the
// day's territory); availability is not applied.
// Three branches, each from the indexed households, one row a combination (the caller takes each once):
// 'located': a the household, b an area it is located in on the day (null: none);
// 'contact': a a member contacting it, b a unit employing the member, c an organization of that unit,
//            d a post holder of that organization (key the post);
// 'area':    a an area at or above the household's areas, b a member assigned there (key the role), c an
//            organization governing it, d a post holder of that organization (key2 the post).
// $households: [household id]; $day: ISO date
// returns: what, a, b, c, d, key, key2
UNWIND $households AS household_id
MATCH (h:Household {id: household_id})
OPTIONAL MATCH (h)-[l:LOCATED_IN]->(x:Area)
WHERE {valid:l}
RETURN 'located' AS what, [h.id, h.name, h.people, h.vulnerable] AS a, [x.id, x.name, x.level, x.status] AS b,
       null AS c, null AS d, null AS key, null AS key2
UNION ALL
UNWIND $households AS household_id
MATCH (h:Household {id: household_id})
WITH h  // start from the indexed household
MATCH (m:Member)-[r:CONTACTS]->(h)
WHERE {valid:r}
WITH DISTINCT h, m
OPTIONAL MATCH (m)-[e:EMPLOYED_BY]->(u:Unit)
WHERE {valid:e}
OPTIONAL MATCH (u)<-[f:OF_UNIT]-(o:Org)
WHERE {valid:f}
OPTIONAL MATCH (o)<-[p:HOLDS_POST]-(x:Member)
WHERE {valid:p}
RETURN 'contact' AS what, [m.id, m.name, m.level, m.status, h.id] AS a, [u.id, u.name, u.level, u.status] AS b,
       [o.id, o.name, o.level, o.status] AS c, [x.id, x.name, x.level, x.status] AS d, p.post AS key, null AS key2
UNION ALL
UNWIND $households AS household_id
MATCH (h:Household {id: household_id})
WITH h  // start from the indexed household
MATCH (h)-[l:LOCATED_IN]->(here:Area)
WHERE {valid:l}
WITH DISTINCT here
MATCH path = (here)-[:WITHIN*0..]->(up:Area)
WHERE all(w IN relationships(path) WHERE {valid:w})
WITH DISTINCT up
OPTIONAL MATCH (up)<-[r:ASSIGNED_TO]-(y:Member)
WHERE {valid:r}
OPTIONAL MATCH (up)<-[g:GOVERNS]-(o:Org)
WHERE {valid:g}
OPTIONAL MATCH (o)<-[p:HOLDS_POST]-(x:Member)
WHERE {valid:p}
RETURN 'area' AS what, [up.id, up.name, up.level, up.status] AS a, [y.id, y.name, y.level, y.status] AS b,
       [o.id, o.name, o.level, o.status] AS c, [x.id, x.name, x.level, x.status] AS d, r.role AS key, p.post AS key2

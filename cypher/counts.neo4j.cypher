// How many nodes of each kind and edges of each type, on Neo4j: one branch a kind and a type, each a
// count the server keeps at hand. The branches are orggraph.model.NODE_KINDS and EDGE_TYPES (a test holds
// them in step).
// returns: what ('node' or 'edge'), name (kind or type), n
MATCH (n:Area) RETURN 'node' AS what, 'Area' AS name, count(n) AS n
UNION ALL
MATCH (n:Org) RETURN 'node' AS what, 'Org' AS name, count(n) AS n
UNION ALL
MATCH (n:Unit) RETURN 'node' AS what, 'Unit' AS name, count(n) AS n
UNION ALL
MATCH (n:Member) RETURN 'node' AS what, 'Member' AS name, count(n) AS n
UNION ALL
MATCH (n:Household) RETURN 'node' AS what, 'Household' AS name, count(n) AS n
UNION ALL
MATCH ()-[r:WITHIN]->() RETURN 'edge' AS what, 'WITHIN' AS name, count(r) AS n
UNION ALL
MATCH ()-[r:SUBORDINATE_TO]->() RETURN 'edge' AS what, 'SUBORDINATE_TO' AS name, count(r) AS n
UNION ALL
MATCH ()-[r:GOVERNS]->() RETURN 'edge' AS what, 'GOVERNS' AS name, count(r) AS n
UNION ALL
MATCH ()-[r:LOCATED_IN]->() RETURN 'edge' AS what, 'LOCATED_IN' AS name, count(r) AS n
UNION ALL
MATCH ()-[r:MEMBER_OF]->() RETURN 'edge' AS what, 'MEMBER_OF' AS name, count(r) AS n
UNION ALL
MATCH ()-[r:HOLDS_POST]->() RETURN 'edge' AS what, 'HOLDS_POST' AS name, count(r) AS n
UNION ALL
MATCH ()-[r:ASSIGNED_TO]->() RETURN 'edge' AS what, 'ASSIGNED_TO' AS name, count(r) AS n
UNION ALL
MATCH ()-[r:EMPLOYED_BY]->() RETURN 'edge' AS what, 'EMPLOYED_BY' AS name, count(r) AS n
UNION ALL
MATCH ()-[r:OF_UNIT]->() RETURN 'edge' AS what, 'OF_UNIT' AS name, count(r) AS n
UNION ALL
MATCH ()-[r:SUNK_TO]->() RETURN 'edge' AS what, 'SUNK_TO' AS name, count(r) AS n
UNION ALL
MATCH ()-[r:CO_BUILDS]->() RETURN 'edge' AS what, 'CO_BUILDS' AS name, count(r) AS n
UNION ALL
MATCH ()-[r:CONTACTS]->() RETURN 'edge' AS what, 'CONTACTS' AS name, count(r) AS n
UNION ALL
MATCH ()-[r:RESIDES_IN]->() RETURN 'edge' AS what, 'RESIDES_IN' AS name, count(r) AS n

// Every household with a LOCATED_IN edge (h.homes, kept by set_home, counts them), whatever its dates, as
// one list (a city's households read as one list are read several times faster than as rows): those
// located within every area, the households of the whole city's scope.
// returns: households [household id]
MATCH (h:Household)
WHERE h.homes > 0
RETURN collect(h.id) AS households

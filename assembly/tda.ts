// Topological data analysis kernels: Vietoris–Rips persistent homology (rips.ts) and the
// optimal matchings behind persistence-diagram distances (diagrams.ts).
export * from "./rips";
export * from "./diagrams";

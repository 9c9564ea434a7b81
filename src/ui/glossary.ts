/**
 * The terms of art the notebooks use, each in one or two plain sentences: shown as a tooltip on
 * the controls and table columns that name them (hover or keyboard focus), and listed on the
 * site's Methods page. A term is found in a label by its pattern, so "TE 8-nbr", "Interslice knn
 * (κ)" and "ε (× automatic)" each find their entry.
 */

export interface GlossaryEntry {
  /** The term as it is written in the notebooks. */
  term: string;
  /** Where it is found in a label or column header. */
  pattern: RegExp;
  definition: string;
}

export const GLOSSARY: readonly GlossaryEntry[] = [
  {
    term: "QE",
    pattern: /\bQE\b|quantisation error/i,
    definition:
      "Quantisation error: the mean distance from each sample to the weight vector of its best-matching SOM node. Here in units of the layer's RMS distance to its mean, so layers compare.",
  },
  {
    term: "TE",
    pattern: /\bTE\b|topographic error/i,
    definition:
      "Topographic error: the share of samples whose best and second-best matching SOM nodes are not neighbours on the grid (8- or 4-neighbourhood on a square grid). 0 means the map keeps the layer's local order.",
  },
  {
    term: "PC1 share",
    pattern: /PC1 share/i,
    definition:
      "Share of the layer's variance along its first principal component: near 1, the layer is close to one line (homogeneous codes).",
  },
  {
    term: "participation ratio",
    pattern: /participation ratio/i,
    definition:
      "(Σλ)² / Σλ² over the eigenvalues λ of the layer's covariance: how many directions the variance is effectively spread over (1 for a line, D for an isotropic cloud).",
  },
  {
    term: "PCs for 90 %",
    pattern: /PCs for 90/i,
    definition:
      "The number of principal components that together hold 90 % of the layer's variance.",
  },
  {
    term: "NMI",
    pattern: /\bNMI\b/,
    definition:
      "Normalised mutual information between each sample's best-matching node and the network's predicted class: 0 independent, 1 one determines the other.",
  },
  {
    term: "SOM-classifier agreement",
    pattern: /SOM-classifier agreement|\bagreement\b/i,
    definition:
      "Share of test samples for which the majority training class of their best-matching node equals the network's prediction.",
  },
  {
    term: "class compactness",
    pattern: /class compactness/i,
    definition:
      "Mean grid distance from each test sample's best-matching node to the mean grid position of its class, in grid units: small when each class occupies one region of the map.",
  },
  {
    term: "purity",
    pattern: /\bpurity\b/i,
    definition:
      "How unmixed the groups are: for SOM nodes, the share of samples in their node's majority class; for Mapper (Purvine et al.), the mean over nodes of 1 / the number of classes present.",
  },
  {
    term: "majority share",
    pattern: /majority share/i,
    definition:
      "Size-weighted share of the members of each Mapper node that belong to its majority class.",
  },
  {
    term: "FGSM",
    pattern: /\bFGSM\b/,
    definition:
      "Fast gradient sign method: every input pixel moves by ε in the direction that increases the network's loss (Goodfellow et al. 2015). The control moves them by the same ±ε in random directions.",
  },
  {
    term: "ε (attack size)",
    pattern: /attack sizes? ε|ε for the arrows|^ε$/i,
    definition: "Size of the perturbation of each input pixel, in input units (pixels in [0, 1]).",
  },
  {
    term: "BMU",
    pattern: /\bBMU\b|best-matching/i,
    definition:
      "Best-matching unit: the SOM node whose weight vector is nearest a sample; the sample's functional code.",
  },
  {
    term: "U-matrix",
    pattern: /U-matrix/i,
    definition:
      "Mean distance from each SOM node's weight vector to its grid neighbours': ridges separate regions of the map.",
  },
  {
    term: "σ",
    pattern: /σ|sigma/i,
    definition:
      "Width of the SOM's neighbourhood function at the start of training, in grid units; it shrinks as training goes.",
  },
  {
    term: "BSDR sweeps",
    pattern: /BSDR/i,
    definition:
      "Passes of the variational updates of Gönen's Bayesian supervised dimensionality reduction, MDA's projection step; more sweeps converge further (the paper's code uses 200).",
  },
  {
    term: "MDA projection R",
    pattern: /projection R\b/i,
    definition:
      "Number of dimensions of MDA's Bayesian supervised projection, which UMAP then lays out in 2-D.",
  },
  {
    term: "MDA groups",
    pattern: /MDA groups/i,
    definition:
      "Bins of the output manifold distance; each group of predictions is one class of MDA's supervised projection. \"auto\" takes NumPy's automatic histogram bins.",
  },
  {
    term: "normalised target manifold distance",
    pattern: /normali[sz]ed (target )?manifold distance|manifold distance/i,
    definition:
      "Each sample's position along the manifold of the targets: its distance from one end, scaled to 0 … 1. A layout that keeps the continuum changes colour smoothly along one path.",
  },
  {
    term: "geodesic correlation",
    pattern: /geodesic|\br \(ρ\)|\bMDA r\b/i,
    definition:
      "Pearson r (and Spearman ρ) between shortest-path distances on the k-NN graph of the layer's features and on the k-NN graph of a 2-D layout, over all pairs connected in both: how well the layout keeps the layer's geometry.",
  },
  {
    term: "continuity ρ",
    pattern: /continuity/i,
    definition:
      "Spearman ρ between the geodesic distance along a layout's k-NN graph and the difference in target: how well the layout keeps the target's order.",
  },
  {
    term: "trustworthiness",
    pattern: /\btrust/i,
    definition:
      "Share of each point's k nearest neighbours in the layout that are also near it in the original space (Venna & Kaski); 1 is perfect.",
  },
  {
    term: "5-NN accuracy",
    pattern: /5-NN|\bLOO\b/i,
    definition:
      "How well a 5-nearest-neighbour vote in the layout predicts the class (or, as R², the target): under stratified 5-fold cross-validation, or leave-one-out (LOO).",
  },
  {
    term: "perplexity",
    pattern: /perplexity/i,
    definition: "t-SNE's effective number of neighbours of each point.",
  },
  {
    term: "lens",
    pattern: /\blens\b/i,
    definition:
      "Mapper's filter: one number per input (here the ℓ2 norm of its activation vector) whose range the overlapping intervals cover.",
  },
  {
    term: "ε × automatic",
    pattern: /ε \(× automatic\)|× automatic ε|ε \(rule\)/i,
    definition:
      "DBSCAN's radius as a multiple of the automatic ε: the knee of the sorted distances from each input to its (min_samples − 1)-th neighbour. 1 is the knee; one slider moves every layer's ε in proportion.",
  },
  {
    term: "min_samples",
    pattern: /min_samples/i,
    definition:
      "DBSCAN's minimum neighbourhood size (the point included): sparser inputs are noise and land in no node; intervals with fewer inputs are skipped.",
  },
  {
    term: "Jaccard",
    pattern: /Jaccard/i,
    definition:
      "Shared members of two Mapper nodes over the members of either: edge weight from 0 (nothing shared) to 1 (the same inputs).",
  },
  {
    term: "overlap",
    pattern: /^overlap$/i,
    definition: "Fraction of each lens interval shared with the next: more overlap, more edges.",
  },
  {
    term: "cycles",
    pattern: /\bcycles\b/i,
    definition: "Independent loops of the graph: edges − nodes + connected components.",
  },
  {
    term: "persistence diagram",
    pattern: /persistence diagram|\bH[012]\b|barcode/i,
    definition:
      "The connected components (H0), loops (H1) and voids (H2) of the point cloud as the distance scale grows (Vietoris–Rips filtration): each is born at one scale and dies at a larger one.",
  },
  {
    term: "enclosing radius",
    pattern: /enclosing radius|Rips threshold/i,
    definition:
      "The smallest scale at which one point is within reach of every other: above it the Rips complex is a cone and nothing new happens, so the filtration can stop there.",
  },
  {
    term: "sliced Wasserstein",
    pattern: /sliced/i,
    definition:
      "Distance between two persistence diagrams: the mean over 50 directions of the 1-D optimal-transport distance between their projections (the points matched to the diagonal as needed).",
  },
  {
    term: "bottleneck",
    pattern: /bottleneck/i,
    definition:
      "Distance between two persistence diagrams: the largest move in the best matching of their points (points may be matched to the diagonal).",
  },
  {
    term: "CKA",
    pattern: /\bCKA\b/,
    definition:
      "Centred kernel alignment (Kornblith et al. 2019): similarity of two representations of the same inputs, 1 when they are equal up to a rotation and a uniform scale.",
  },
  {
    term: "interslice knn",
    pattern: /interslice/i,
    definition:
      "M-PHATE: how far a unit is joined to itself across checkpoints; the kernel's bandwidth is the distance to its κ-th nearest own checkpoint.",
  },
  {
    term: "intraslice knn",
    pattern: /intraslice/i,
    definition:
      "M-PHATE: neighbours of a unit among the units of its own checkpoint; the adaptive kernel's bandwidth is the distance to the knn-th one.",
  },
  {
    term: "decay α",
    pattern: /decay/i,
    definition:
      "Exponent of PHATE's α-decaying kernel exp(−(d/σ)^α): larger values cut affinities off faster.",
  },
  {
    term: "diffusion time t",
    pattern: /diffusion time|^t$/i,
    definition:
      'Steps of the random walk PHATE diffuses over; "auto" takes the knee of the von Neumann entropy of the diffusion operator.',
  },
  {
    term: "γ",
    pattern: /γ|gamma/i,
    definition:
      "PHATE's potential: γ = 1 the log of the diffused probabilities, γ = 0 their square root (M-PHATE's choice); values between interpolate.",
  },
  {
    term: "landmarks",
    pattern: /landmark/i,
    definition:
      "Above this many points PHATE diffuses on landmarks (spectral clusters of the points) and interpolates back, which is faster at a small cost in detail.",
  },
  {
    term: "ARI",
    pattern: /\bARI\b/,
    definition:
      "Adjusted Rand index between two partitions of the same units (k-means before and after a task switch): 1 identical, 0 as alike as chance.",
  },
  {
    term: "memorisation error",
    pattern: /memori[sz]ation/i,
    definition:
      "Final validation loss minus training loss: how much of the training set the network learnt by heart.",
  },
  {
    term: "visualisation variance",
    pattern: /visuali[sz]ation variance/i,
    definition:
      "Σ over epochs of the trace of the 2 × 2 covariance of that epoch's embedded units: how spread out (heterogeneous) the units are.",
  },
  {
    term: "Spearman ρ",
    pattern: /Spearman|ρ/,
    definition: "Rank correlation: Pearson's r of the ranks, from −1 to 1.",
  },
];

/** The glossary entry a label or column header names, if any (the first that matches). */
export function glossaryEntry(label: string): GlossaryEntry | undefined {
  return GLOSSARY.find((e) => e.pattern.test(label));
}

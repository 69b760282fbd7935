# Time the NearRepeat R package (Steenbeek, 0.1.1) on the incidents written by knox_peer.py --write-points.
# Usage: Rscript benches/peers/knox_nearrepeat.R POINTS.csv NREP
# Bands as the engine's benchmark: same location [0, 0.001), then 100 m bands to 1000 m; 10 x 7 day bands; Euclidean.
# R's NearRepeat computes all n(n-1)/2 distances with dist(): 8 bytes per pair, so 100,000 incidents need 40 GB.
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
nrep <- as.integer(args[2])
library(NearRepeat)
set.seed(1)
t0 <- proc.time()
r <- NearRepeat(x = d$x_m, y = d$y_m, time = d$t_days, sds = c(0, 0.001, seq(100, 1000, by = 100)),
                tds = seq(0, 70, by = 7), method = "euclidean", nrep = nrep)
el <- (proc.time() - t0)[["elapsed"]]
cat(sprintf("NearRepeat %s: %d incidents, %d permutations, %.1f s (%.2f s per permutation incl. the observed table)\n",
            as.character(packageVersion("NearRepeat")), nrow(d), nrep, el, el / nrep))
print(r$observed[1:3, 1:3])

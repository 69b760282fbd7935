-- wrk script: cycle through the URLs in urls.txt (one path per line), report p50/p99 and errors.
local urls = {}
local counter = 0
init = function(args)
  for line in io.lines(args[1] or "urls.txt") do
    if #line > 0 then urls[#urls + 1] = line end
  end
  counter = math.random(#urls)
end
request = function()
  counter = counter % #urls + 1
  return wrk.format("GET", urls[counter], {["Accept-Encoding"] = "gzip"})
end
done = function(summary, latency, requests)
  io.write(string.format("requests %d in %.1f s: %.0f/s; latency p50 %.2f ms, p99 %.2f ms, max %.2f ms; errors connect %d read %d write %d status %d timeout %d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status, summary.errors.timeout))
end

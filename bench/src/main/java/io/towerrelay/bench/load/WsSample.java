package io.towerrelay.bench.load;

/**
 * One WebSocket measurement window: delivered events per second and their one-way latency (backend write to
 * load-generator read) in microseconds; {@code lostSockets} counts sockets that closed while they should not.
 */
public record WsSample(double eventsPerSecond, long p50Micros, long p99Micros, long samples, long lostSockets) {}

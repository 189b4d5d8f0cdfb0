package io.towerrelay.tunnel;

import java.time.Duration;

/**
 * What an open tunnel carried, reported once when it closes.
 *
 * @param duration         from the upstream's 101 to the close of the last side
 * @param bytesFromClient  bytes relayed client to upstream
 * @param bytesToClient    bytes relayed upstream to client (including the 101 head)
 * @param closedBy         which side ended it: {@code client}, {@code upstream}, {@code idle-timeout} or {@code shutdown}
 */
public record TunnelStats(Duration duration, long bytesFromClient, long bytesToClient, String closedBy) {
}

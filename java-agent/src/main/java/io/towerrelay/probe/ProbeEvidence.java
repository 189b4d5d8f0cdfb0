package io.towerrelay.probe;

import java.util.List;

/**
 * Everything the network side of the probe observed; {@link Diagnosis} turns it into a {@link ProbeReport}.
 *
 * @param page       the page fetch
 * @param echo       what the upstream saw (mock Tower only), or null when not asked
 * @param settings   Tower's settings, {@link SettingsEvidence#NOT_READ} without credentials
 * @param handshakes one per WebSocket path tried
 * @param session    the session on the first path that opened, or null
 * @param idle       the idle wait, or null when not requested or not possible
 * @param idleRequestedSeconds the --idle value (0 = not requested)
 */
public record ProbeEvidence(
        PageEvidence page,
        EchoEvidence echo,
        SettingsEvidence settings,
        List<HandshakeEvidence> handshakes,
        SessionEvidence session,
        IdleEvidence idle,
        long idleRequestedSeconds) {

    public ProbeEvidence {
        handshakes = handshakes == null ? List.of() : List.copyOf(handshakes);
        settings = settings == null ? SettingsEvidence.NOT_READ : settings;
    }
}

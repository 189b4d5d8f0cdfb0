package io.towerrelay.reactor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The order in which one I/O thread's round gives out output: nothing while an event runs; after it, the tasks that
 * wait for the event's end, then plain sessions, and sessions under TLS last, once, after everything the others
 * asked for (an h2 answer's head, body and end then leave in one TLS output event).
 */
class OutputRoundsTest {
    private final OutputRounds rounds = new OutputRounds();
    private final List<String> log = new ArrayList<>();

    @Test
    void outputAskedForDuringAnEventIsGivenWhenTheOutermostEventEnds() {
        Output plain = new Output("plain", null);
        rounds.enter();
        rounds.enter(); // an event inside an event (a handler's call into another session's)
        rounds.due(plain);
        rounds.exit();
        assertThat(log).isEmpty();
        rounds.exit();
        assertThat(log).containsExactly("plain");
        assertThat(rounds.inEvent()).isFalse();
    }

    @Test
    void sessionsUnderTlsGoLastAndOnceAfterWhatTheOthersAskedFor() {
        Output tls = new Output("tls", null);
        // The upstream's answer (plain) wakes the client's TLS session when it is written, and once more when the
        // upstream connection is back in the pool (an after-event task).
        Output upstream = new Output("upstream", () -> {
            rounds.dueLast(tls);
            rounds.afterEvent(() -> {
                log.add("released");
                rounds.dueLast(tls);
            });
        });
        rounds.enter();
        rounds.dueLast(tls);
        rounds.afterEvent(() -> log.add("head"));
        rounds.due(upstream);
        rounds.exit();
        assertThat(log).containsExactly("head", "upstream", "released", "tls");
    }

    @Test
    void aSessionUnderTlsAskedForAgainByAnotherSessionsOutputGetsAnotherTurn() {
        Output plain = new Output("plain", null);
        Output tls = new Output("tls", () -> rounds.due(plain));
        Output again = new Output("tls-again", null);
        plain.then = () -> rounds.dueLast(again);
        rounds.enter();
        rounds.dueLast(tls);
        rounds.exit();
        assertThat(log).containsExactly("tls", "plain", "tls-again");
    }

    @Test
    void withoutAnEventTasksRunAtOnce() {
        rounds.afterEvent(() -> log.add("now"));
        assertThat(log).containsExactly("now");
    }

    private final class Output implements RoundOutput {
        private final String name;
        Runnable then;
        private boolean queued;

        Output(String name, Runnable then) {
            this.name = name;
            this.then = then;
        }

        @Override
        public boolean queued() {
            return queued;
        }

        @Override
        public void queued(boolean queued) {
            this.queued = queued;
        }

        @Override
        public void runOutput() {
            log.add(name);
            if (then != null) {
                then.run();
            }
        }

        @Override
        public void promote() {
            log.add(name + " promoted");
        }
    }
}

package io.towerrelay.reactor;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.hc.core5.reactor.IOWorkerStats;
import org.junit.jupiter.api.Test;

/** Which worker an accepted connection goes to, given the workers' sessions and how busy their threads were. */
class WorkerChoiceTest {
    private static final long MS = 1_000_000L;

    private final long[] cpu = new long[3];
    private long now;
    private final WorkerChoice choice = new WorkerChoice(i -> cpu[(int) i], () -> now);

    private static IOWorkerStats sessions(int count) {
        return new IOWorkerStats() {
            @Override
            public int totalChannelCount() {
                return count;
            }

            @Override
            public int pendingChannelCount() {
                return 0;
            }

            @Override
            public long lastSelectMilli() {
                return 0;
            }
        };
    }

    /** The workers' threads ran {@code busyMs} of CPU each over the next 20 ms. */
    private void run(long... busyMs) {
        now += 20 * MS;
        for (int i = 0; i < busyMs.length; i++) {
            cpu[i] += busyMs[i] * MS;
        }
    }

    @Test
    void idleWorkersGiveEveryConnectionToTheFirst() {
        IOWorkerStats[] workers = {sessions(40), sessions(0), sessions(0)};
        choice.select(workers);
        run(2, 0, 0);
        for (int i = 0; i < 10; i++) {
            assertThat(choice.select(workers)).isZero();
        }
    }

    @Test
    void aBusyWorkerTakesNoNewConnectionWhileAnotherHasTimeToSpare() {
        IOWorkerStats[] workers = {sessions(10), sessions(10), sessions(10)};
        choice.select(workers);
        run(15, 3, 1);
        assertThat(choice.select(workers)).as("worker 0 was busy 75 %% of the time").isEqualTo(1);
        run(15, 12, 1);
        assertThat(choice.select(workers)).as("workers 0 and 1 busy").isEqualTo(2);
    }

    @Test
    void whenAllAreBusyTheLeastBusyTakesIt() {
        IOWorkerStats[] workers = {sessions(10), sessions(10), sessions(10)};
        choice.select(workers);
        run(19, 12, 16);
        assertThat(choice.select(workers)).isEqualTo(1);
    }

    @Test
    void noWorkerHoldsMoreThanTheSpreadAboveTheLeastLoaded() {
        IOWorkerStats[] workers = {
            sessions(WorkerChoice.SPREAD + 1), sessions(WorkerChoice.SPREAD), sessions(0)};
        choice.select(workers);
        run(0, 0, 0);
        assertThat(choice.select(workers)).isEqualTo(1);
        workers[1] = sessions(WorkerChoice.SPREAD + 5);
        assertThat(choice.select(workers)).isEqualTo(2);
    }

    @Test
    void theWorkersAreMeasuredAgainOnlyAfterTheInterval() {
        IOWorkerStats[] workers = {sessions(0), sessions(0)};
        choice.select(workers);
        run(18, 0);
        assertThat(choice.select(workers)).isEqualTo(1);
        now += WorkerChoice.INTERVAL_NANOS / 2;
        assertThat(choice.select(workers)).as("still the last reading").isEqualTo(1);
        now += WorkerChoice.INTERVAL_NANOS;
        assertThat(choice.select(workers)).as("worker 0 did nothing since").isZero();
    }

    @Test
    void aWorkerWhoseCpuTimeCannotBeReadIsChosenBySessionsAlone() {
        WorkerChoice blind = new WorkerChoice(i -> -1, () -> now);
        IOWorkerStats[] workers = {sessions(WorkerChoice.SPREAD + 1), sessions(0)};
        blind.select(workers);
        now += 20 * MS;
        assertThat(blind.select(workers)).isEqualTo(1);
        workers[0] = sessions(3);
        assertThat(blind.select(workers)).isZero();
    }
}

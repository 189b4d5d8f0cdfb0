package io.towerrelay.cli;

import io.towerrelay.common.UserError;
import picocli.CommandLine;

/** Turns {@link UserError} into one line on stderr and exit code 2; anything else is a bug and keeps its trace. */
final class UserErrorHandler implements CommandLine.IExecutionExceptionHandler {
    static final int USAGE_OR_CONFIG_ERROR = 2;

    @Override
    public int handleExecutionException(Exception ex, CommandLine cmd, CommandLine.ParseResult parseResult)
            throws Exception {
        if (ex instanceof UserError) {
            cmd.getErr().println("tower-relay: " + ex.getMessage());
            return USAGE_OR_CONFIG_ERROR;
        }
        throw ex;
    }
}

/** Learning-rate schedules as functions of the step count. */
package dev.kiln.api.optimizers.schedules;

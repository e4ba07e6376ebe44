/** Models (Sequential and Functional), the training loop, History and the summary table. */
package dev.kiln.api.models;

/* Times FANN's incremental training (fann_train: one sample, then one weight update) on the
 * 784-256-128-10 network, for comparison with nabla's batch-1 training step. Prints one JSON
 * object with "samples_per_s" from the median per-sample time, as nabla bench does.
 *
 * FANN has neither ReLU nor softmax: the hidden layers use FANN_LINEAR_PIECE (max(0, min(1, x)),
 * the closest to ReLU and as cheap) and the output FANN_SIGMOID with the plain squared error.
 * The activations cost little next to the 235k multiply-adds per pass either way.
 *
 * Build: gcc -O2 bench/fann_bench.c -o fann_bench -lfloatfann -lm
 * Usage: fann_bench [SECONDS]                                                              */
#include <floatfann.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { INPUTS = 784, OUTPUTS = 10, POOL = 64 /* distinct samples, cycled */ };
static const enum fann_activationfunc_enum HIDDEN = FANN_LINEAR_PIECE;

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Roughly N(0, 1): a sum of 12 uniforms, minus 6. */
static fann_type roughly_normal(void) {
    double sum = 0;
    for (int i = 0; i < 12; ++i) sum += rand() / (double)RAND_MAX;
    return (fann_type)(sum - 6.0);
}

static int compare_doubles(const void* a, const void* b) {
    const double x = *(const double*)a, y = *(const double*)b;
    return (x > y) - (x < y);
}

int main(int argc, char** argv) {
    const double seconds = argc > 1 ? atof(argv[1]) : 2.0;
    srand(1);
    struct fann* ann = fann_create_standard(4, INPUTS, 256, 128, OUTPUTS);
    fann_randomize_weights(ann, -0.05f, 0.05f);
    fann_set_activation_function_hidden(ann, HIDDEN);
    fann_set_activation_function_output(ann, FANN_SIGMOID);
    fann_set_train_error_function(ann, FANN_ERRORFUNC_LINEAR);
    fann_set_training_algorithm(ann, FANN_TRAIN_INCREMENTAL);
    fann_set_learning_rate(ann, 1e-3f);

    static fann_type x[POOL][INPUTS], y[POOL][OUTPUTS];
    for (int i = 0; i < POOL; ++i) {
        for (int j = 0; j < INPUTS; ++j) x[i][j] = roughly_normal();
        y[i][rand() % OUTPUTS] = 1;
    }

    long i = 0;
    const double warmup_end = now_seconds() + (seconds / 4 < 0.5 ? seconds / 4 : 0.5);
    for (; now_seconds() < warmup_end || i < 3; ++i) fann_train(ann, x[i % POOL], y[i % POOL]);

    size_t count = 0, capacity = 1024;
    double* step_seconds = malloc(capacity * sizeof *step_seconds);
    const double start = now_seconds();
    for (double t = start; t < start + seconds || count < 5;) {
        fann_train(ann, x[i % POOL], y[i % POOL]);
        ++i;
        const double after = now_seconds();
        if (count == capacity) step_seconds = realloc(step_seconds, (capacity *= 2) * sizeof *step_seconds);
        step_seconds[count++] = after - t;
        t = after;
    }
    qsort(step_seconds, count, sizeof *step_seconds, compare_doubles);
    const double median = step_seconds[count / 2];
    printf("{\"samples_per_s\": %.6g, \"median_step_ms\": %.6g, \"steps\": %zu, \"hidden\": \"%s\"}\n",
           1.0 / median, median * 1e3, count, FANN_ACTIVATIONFUNC_NAMES[HIDDEN]);
    free(step_seconds);
    fann_destroy(ann);
    return 0;
}

// Training end to end on small problems: XOR learned exactly, reproducibility bit for bit,
// every optimizer and schedule, dropout, divergence and bad data.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>

#include "blobs.hpp"
#include "core/divergence.hpp"

#include "nabla/error.hpp"
#include "nabla/trainer.hpp"

using namespace nabla;

namespace {

Dataset xor_data() {
    Dataset d;
    d.source = "xor";
    d.x = Matrix<float>(4, 2);
    d.y = Matrix<float>(4, 2);
    const float inputs[4][2] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}};
    for (std::size_t i = 0; i < 4; ++i) {
        d.x(i, 0) = inputs[i][0];
        d.x(i, 1) = inputs[i][1];
        const int label = int(inputs[i][0]) ^ int(inputs[i][1]);
        d.y(i, label) = 1;
        d.labels.push_back(label);
    }
    d.class_names = {"0", "1"};
    return d;
}

TEST(Train, XorIsLearnedByASmallSigmoidNetworkWithTheQuadraticLoss) {
    // The setting of docs/backprop.md: σ on every layer, the quadratic loss, full-batch gradient descent on L_T.
    NetworkSpec spec{{2, 4, 2}, Activation::sigmoid, Activation::sigmoid, Loss::mse};
    Network<float> net(spec, 7);
    TrainOptions options;
    options.epochs = 5000;
    options.batch = 0;
    options.optimizer.kind = OptimizerKind::sgd;
    options.optimizer.learning_rate = 2.0;
    const auto history = train(net, xor_data(), nullptr, options);
    EXPECT_LT(history.back().train_loss, history.front().train_loss);
    EXPECT_EQ(evaluate(net, xor_data()).accuracy, 1.0);
}

TEST(Train, SeededRunIsReproducibleBitForBit) {
    auto run = [](std::uint64_t seed) {
        Network<float> net(NetworkSpec{{2, 8, 2}, Activation::tanh}, seed);
        TrainOptions options;
        options.epochs = 50;
        options.batch = 2;
        options.dropout = 0.2;
        options.seed = seed;
        train(net, xor_data(), nullptr, options);
        return std::vector<float>(net.parameters().begin(), net.parameters().end());
    };
    EXPECT_EQ(run(3), run(3));
    EXPECT_NE(run(3), run(4));
}

TEST(Train, EveryOptimizerAndScheduleLearnsXor) {
    for (OptimizerKind kind : {OptimizerKind::sgd, OptimizerKind::momentum, OptimizerKind::adam, OptimizerKind::adamw}) {
        for (Schedule::Kind schedule : {Schedule::Kind::constant, Schedule::Kind::step, Schedule::Kind::cosine}) {
            Network<float> net(NetworkSpec{{2, 8, 2}, Activation::tanh}, 1);
            TrainOptions options;
            options.epochs = 600;
            options.batch = 4;
            options.optimizer.kind = kind;
            options.optimizer.nesterov = kind == OptimizerKind::momentum;
            options.optimizer.learning_rate = kind == OptimizerKind::sgd || kind == OptimizerKind::momentum ? 0.3 : 0.03;
            options.optimizer.weight_decay = kind == OptimizerKind::adamw ? 1e-3 : 1e-5;
            options.schedule.kind = schedule;
            options.schedule.step_epochs = 400;
            options.schedule.gamma = 0.5;
            train(net, xor_data(), nullptr, options);
            EXPECT_EQ(evaluate(net, xor_data()).accuracy, 1.0) << optimizer_name(kind) << " " << schedule_name(schedule);
        }
    }
}

TEST(Train, SchedulesGiveTheirRates) {
    Schedule step{Schedule::Kind::step, 2, 0.5};
    EXPECT_DOUBLE_EQ(step.rate(1.0, 0, 10, 100), 1.0);
    EXPECT_DOUBLE_EQ(step.rate(1.0, 25, 10, 100), 0.5);
    EXPECT_DOUBLE_EQ(step.rate(1.0, 45, 10, 100), 0.25);
    Schedule cosine{Schedule::Kind::cosine};
    EXPECT_DOUBLE_EQ(cosine.rate(2.0, 0, 10, 100), 2.0);
    EXPECT_NEAR(cosine.rate(2.0, 50, 10, 100), 1.0, 1e-12);
    EXPECT_NEAR(cosine.rate(2.0, 100, 10, 100), 0.0, 1e-12);
}

TEST(Train, SgdStepIsTheGradientStep) {
    Network<double> net(NetworkSpec{{2, 2}, Activation::relu, std::nullopt, Loss::mse}, 1);
    const std::vector<double> before(net.parameters().begin(), net.parameters().end());
    std::vector<double> grads(before.size());
    for (std::size_t p = 0; p < grads.size(); ++p) grads[p] = double(p) + 1;
    OptimizerSpec spec;
    spec.kind = OptimizerKind::sgd;
    spec.weight_decay = 0.5;
    Optimizer<double> sgd(spec, net);
    sgd.step(net, grads, 0.1);
    for (const LayerShape& s : net.layers()) {
        for (std::size_t p = s.w_offset; p < s.b_offset; ++p)  // weights decay
            EXPECT_DOUBLE_EQ(net.parameters()[p], before[p] - 0.1 * (grads[p] + 0.5 * before[p]));
        for (std::size_t p = s.b_offset; p < s.b_offset + s.out; ++p)  // biases do not
            EXPECT_DOUBLE_EQ(net.parameters()[p], before[p] - 0.1 * grads[p]);
    }
}

TEST(Train, DivergenceStopsWithAClearError) {
    Dataset data = xor_data();
    for (float& v : data.x.data) v *= 1e3f;
    Network<float> net(NetworkSpec{{2, 16, 2}, Activation::relu, std::nullopt, Loss::mse}, 1);
    TrainOptions options;
    options.optimizer.kind = OptimizerKind::sgd;
    options.optimizer.learning_rate = 1e3;
    options.epochs = 100;
    try {
        train(net, data, nullptr, options);
        FAIL() << "training did not stop";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("diverged"), std::string::npos) << e.what();
    }
}

// The one rule both devices apply to a step whose loss is not finite (core/divergence.hpp).
TEST(Divergence, JudgeStepSkipsUpToNineInARowThenStops) {
    std::uint32_t skipped = 0;
    EXPECT_EQ(judge_step(false, true, false, skipped), StepVerdict::stop);  // the stop policy
    for (int i = 0; i < 9; ++i) EXPECT_EQ(judge_step(false, true, true, skipped), StepVerdict::skip) << i;
    EXPECT_EQ(judge_step(false, true, true, skipped), StepVerdict::stop);  // the tenth in a row
    skipped = 5;
    EXPECT_EQ(judge_step(true, true, true, skipped), StepVerdict::update);
    EXPECT_EQ(skipped, 0u);  // a finite step ends the row
    EXPECT_EQ(judge_step(false, false, true, skipped), StepVerdict::stop);  // weights gone: no skipping
}

// A regression set with one row whose loss overflows float: its batch diverges in every epoch.
Dataset with_one_overflowing_row(std::size_t row) {
    Dataset data = blobs(200, 4, 2.0);
    data.task = Task::regression;
    for (std::size_t j = 0; j < data.x.cols; ++j) data.x(row, j) = 1e30f;
    return data;
}

TEST(Train, SkipBatchLeavesTheDivergedStepOutAndTrainsOn) {
    const Dataset data = with_one_overflowing_row(17);
    const NetworkSpec spec{{4, 16, 3}, Activation::relu, std::nullopt, Loss::mse};
    TrainOptions options;
    options.epochs = 3;
    options.batch = 20;
    options.optimizer.learning_rate = 1e-3;
    options.on_divergence = TrainOptions::OnDivergence::skip_batch;
    Network<float> net(spec, 3);
    const auto history = train(net, data, nullptr, options);
    ASSERT_EQ(history.size(), 3u);
    for (const float w : net.parameters()) ASSERT_TRUE(std::isfinite(w));
    // The skipped steps count nothing: each epoch's loss is the mean over the other batches' samples.
    for (const auto& epoch : history) EXPECT_TRUE(std::isfinite(epoch.train_loss));

    options.on_divergence = TrainOptions::OnDivergence::stop;
    Network<float> stopped(spec, 3);
    try {
        train(stopped, data, nullptr, options);
        FAIL() << "the overflowing row trained";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("training diverged: the loss is "), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("at epoch 1, step "), std::string::npos) << e.what();
    }
    for (const float w : stopped.parameters()) ASSERT_TRUE(std::isfinite(w)) << "a diverged step reached the weights";
}

TEST(Train, SkipBatchStopsAtTheTenthDivergedStepInARow) {
    Dataset data = with_one_overflowing_row(0);
    for (std::size_t i = 0; i < data.samples(); ++i) data.x(i, 0) = 1e30f;  // every batch overflows
    TrainOptions options;
    options.batch = 20;
    options.on_divergence = TrainOptions::OnDivergence::skip_batch;
    Network<float> net(NetworkSpec{{4, 16, 3}, Activation::relu, std::nullopt, Loss::mse}, 3);
    const std::vector<float> before(net.parameters().begin(), net.parameters().end());
    try {
        train(net, data, nullptr, options);
        FAIL() << "ten diverged steps in a row did not stop the run";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("at epoch 1, step 10,"), std::string::npos) << e.what();
    }
    EXPECT_EQ(std::memcmp(before.data(), net.parameters().data(), before.size() * sizeof(float)), 0);
}

TEST(Train, BadDataIsAClearError) {
    Network<float> net(NetworkSpec{{3, 4, 2}}, 1);
    EXPECT_THROW(train(net, xor_data(), nullptr, TrainOptions{}), Error);  // 2 features, network takes 3
    Network<float> net2(NetworkSpec{{2, 4, 2}}, 1);
    Dataset nan = xor_data();
    nan.x(1, 1) = std::nanf("");
    try {
        train(net2, nan, nullptr, TrainOptions{});
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("NaN"), std::string::npos);
    }
    TrainOptions bad;
    bad.optimizer.learning_rate = -1;
    EXPECT_THROW(train(net2, xor_data(), nullptr, bad), Error);
    bad = TrainOptions{};
    bad.dropout = 1.0;
    EXPECT_THROW(train(net2, xor_data(), nullptr, bad), Error);
}

}  // namespace

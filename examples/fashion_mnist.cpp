// Fashion-MNIST (Debian's dataset-fashion-mnist): scale the pixels, train a 784-128-10 network for
// two epochs, evaluate it on the test set and save it, preprocessing and class names included, so
// that `nabla eval` and `nabla predict` can use it on raw images. Usage: fashion_mnist [MODEL_PATH]
#include <cstdio>
#include <nabla/nabla.hpp>
#include <string>

int main(int argc, char** argv) {
    try {
        nabla::Dataset train = nabla::load_dataset("fashion-mnist:train");
        nabla::Dataset test = nabla::load_dataset("fashion-mnist:test");
        const auto pixels = nabla::Preprocessing::pixels(train.features());  // 0..255 → 0..1
        pixels.apply(train.x);
        pixels.apply(test.x);

        nabla::Model model(nabla::Network<float>({.layers = {train.features(), 128, train.y.cols}}, /*seed=*/1));
        model.task = train.task;
        model.preprocessing = pixels;
        model.class_names = train.class_names;

        nabla::TrainOptions options{.epochs = 2};
        options.on_epoch = [](const nabla::EpochMetrics& m) {
            std::printf("epoch %zu  loss %.4f  test accuracy %.4f  (%.1f s)\n", m.epoch, m.train_loss,
                        m.validation->accuracy, m.seconds);
        };
        nabla::train(model.network, train, &test, options);
        std::printf("test accuracy %.2f%%\n", 100 * nabla::evaluate(model.network, test).accuracy);

        const std::string path = argc > 1 ? argv[1] : "fashion.nabla";
        nabla::save_model(model, path);
        std::printf("saved %s\n", path.c_str());
    } catch (const nabla::Error& e) {  // e.g. the data set is not installed
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
}

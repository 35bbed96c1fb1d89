package dev.kiln.examples;

import dev.kiln.dsl.Autograd;
import dev.kiln.dsl.GradFn;
import dev.kiln.dsl.Kiln;
import dev.kiln.dsl.Tensor;
import dev.kiln.dsl.nn.MSELoss;
import dev.kiln.dsl.nn.Parameter;
import dev.kiln.dsl.optim.SGD;
import dev.kiln.examples.models.LeNet;

import java.util.List;

/** PyTorch's "Neural Networks" tutorial (seeds 000/003) on LeNet: define, inspect, forward, loss, backward, one SGD step. */
public final class LeNetExample implements Example {
    @Override public String name() { return "lenet"; }

    @Override public String description() { return "seeds 000/003: LeNet — parameters, forward, MSE loss, backward, a manual SGD update"; }

    @Override public void run(String[] args) {
        Kiln.manualSeed(0);
        LeNet net = new LeNet();
        System.out.println(net);

        List<Parameter> params = net.parameters();
        System.out.println(params.size());
        System.out.println(params.get(0).shape());                     // conv1's weight

        Tensor input = Kiln.randn(1, 1, 32, 32);
        Tensor out = net.invoke(input);
        System.out.println(out);

        net.zeroGrad();
        out.backward(Kiln.randn(1, 10));                              // backprop random gradients, as the tutorial does

        System.out.println("\n== Loss function");
        Tensor output = net.invoke(input);
        Tensor target = Kiln.randn(10).view(1, -1);                   // a dummy target with the output's shape
        Tensor loss = new MSELoss().invoke(output, target);
        System.out.println(loss);
        GradFn fn = loss.gradFn();
        System.out.println(fn);                                       // MSELoss
        System.out.println(fn.nextFunctions().get(0));                // Linear
        System.out.println(fn.nextFunctions().get(0).nextFunctions().get(1));  // the weight's AccumulateGrad

        System.out.println("\n== Backprop");
        net.zeroGrad();
        System.out.println("conv1.bias.grad before backward");
        System.out.println(net.conv1.bias.grad() == null ? "None" : net.conv1.bias.grad());
        loss.backward();
        System.out.println("conv1.bias.grad after backward");
        System.out.println(net.conv1.bias.grad());

        System.out.println("\n== Update the weights (weight = weight - learning_rate * gradient)");
        double learningRate = 0.01;
        Autograd.noGrad(() -> {
            for (Parameter f : net.parameters()) f.sub_(f.grad().mul(learningRate));
        });
        Tensor after = new MSELoss().invoke(net.invoke(input), target);
        System.out.printf("loss before the update %.6f, after %.6f%n", loss.item(), after.item());

        System.out.println("\n== With an optimizer (torch.optim.SGD)");
        SGD optimizer = new SGD(net.parameters(), 0.01);
        for (int i = 0; i < 3; i++) {
            optimizer.zeroGrad();                                     // zero the gradient buffers
            Tensor l = new MSELoss().invoke(net.invoke(input), target);
            l.backward();
            optimizer.step();                                         // does the update
            System.out.printf("step %d loss %.6f%n", i, l.item());
        }
    }
}

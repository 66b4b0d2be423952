// PFHub benchmark 4a/4c: the square [-200, 200]^2 nm with the precipitate's centre at the origin
// (docs/pfhub.md, "Benchmark 4").  Triangles of size h_fine inside the radius r_fine, where the
// precipitate (radius 20 nm, interface 5 nm wide) lives, growing linearly to h_far at the square's
// edge: the long-range elastic field is smooth there.  Meshed when a run starts (mesh.parameters set
// the DefineConstant values), e.g. --set mesh.parameters.h_fine=0.5 for the convergence study.
SetFactory("OpenCASCADE");
DefineConstant[ h_fine = {1.0, Name "Parameters/size inside r_fine (nm)"} ];
DefineConstant[ h_far = {16.0, Name "Parameters/size at the edge (nm)"} ];
DefineConstant[ r_fine = {40.0, Name "Parameters/radius of the fine region (nm)"} ];
DefineConstant[ half = {200.0, Name "Parameters/half side (nm)"} ];

Rectangle(1) = {-half, -half, 0, 2*half, 2*half};
Physical Surface("domain") = {1};
Physical Curve("edge") = Boundary{ Surface{1}; };

Field[1] = MathEval;
Field[1].F = Sprintf("min(%g + %g*max(sqrt(x*x + y*y) - %g, 0), %g)", h_fine, (h_far - h_fine)/(half - r_fine), r_fine, h_far);
Background Field = 1;
Mesh.MeshSizeExtendFromBoundary = 0;
Mesh.MeshSizeFromPoints = 0;
Mesh.MeshSizeFromCurvature = 0;
Mesh.Algorithm = 6;  // Frontal-Delaunay: near-equilateral triangles

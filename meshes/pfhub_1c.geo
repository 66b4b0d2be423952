// PFHub benchmark 1c: the T-shaped domain (a stem 20 wide and 100 tall under a bar 100 wide and
// 20 tall), in the benchmark's length units, the stem's lower left corner at the origin
// (x from -40 to 60, y from 0 to 120; as in the FEniCS upload to PFHub, docs/pfhub.md).
// The .msh beside it: .venv/bin/python meshes/make_meshes.py (or gmsh -2 pfhub_1c.geo).
DefineConstant[ lc = {1.0, Name "Parameters/mesh size"} ];

Point(1) = {0, 0, 0, lc};
Point(2) = {20, 0, 0, lc};
Point(3) = {20, 100, 0, lc};
Point(4) = {60, 100, 0, lc};
Point(5) = {60, 120, 0, lc};
Point(6) = {-40, 120, 0, lc};
Point(7) = {-40, 100, 0, lc};
Point(8) = {0, 100, 0, lc};
Line(1) = {1, 2};  // stem bottom
Line(2) = {2, 3};  // stem, right side
Line(3) = {3, 4};  // bar underside, right
Line(4) = {4, 5};  // bar, right end
Line(5) = {5, 6};  // top
Line(6) = {6, 7};  // bar, left end
Line(7) = {7, 8};  // bar underside, left
Line(8) = {8, 1};  // stem, left side
Curve Loop(1) = {1, 2, 3, 4, 5, 6, 7, 8};
Plane Surface(1) = {1};

Physical Surface("domain") = {1};
Physical Curve("bottom") = {1};
Physical Curve("top") = {5};
Physical Curve("bar_left") = {6};
Physical Curve("bar_right") = {4};
Physical Curve("sides") = {2, 3, 7, 8};
Mesh.Algorithm = 6;  // Frontal-Delaunay: near-equilateral triangles

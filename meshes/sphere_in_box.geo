// A sphere (radius 0.25) in the middle of the unit cube, both meshed with tetrahedra that match on
// the sphere's surface: volumes "particle" and "matrix", the cube's faces named xmin ... zmax and
// declared periodic (the nodes of opposite faces match, so the case may use `periodic: [x, y, z]`).
// The .msh beside it: .venv/bin/python meshes/make_meshes.py (or gmsh -3 sphere_in_box.geo).
SetFactory("OpenCASCADE");
DefineConstant[ lc = {0.1, Name "Parameters/mesh size"} ];

Box(1) = {0, 0, 0, 1, 1, 1};
Sphere(2) = {0.5, 0.5, 0.5, 0.25};
BooleanFragments{ Volume{1}; Delete; }{ Volume{2}; Delete; }
// after the fragments: the sphere is the volume inside the sphere's box, the matrix the other one
particle() = Volume In BoundingBox{0.24, 0.24, 0.24, 0.76, 0.76, 0.76};
matrix() = Volume{:};
matrix() -= particle();
Physical Volume("particle") = particle();
Physical Volume("matrix") = matrix();
e = 1e-6;
xmin() = Surface In BoundingBox{-e, -e, -e, e, 1 + e, 1 + e};
xmax() = Surface In BoundingBox{1 - e, -e, -e, 1 + e, 1 + e, 1 + e};
ymin() = Surface In BoundingBox{-e, -e, -e, 1 + e, e, 1 + e};
ymax() = Surface In BoundingBox{-e, 1 - e, -e, 1 + e, 1 + e, 1 + e};
zmin() = Surface In BoundingBox{-e, -e, -e, 1 + e, 1 + e, e};
zmax() = Surface In BoundingBox{-e, -e, 1 - e, 1 + e, 1 + e, 1 + e};
Physical Surface("xmin") = xmin();
Physical Surface("xmax") = xmax();
Physical Surface("ymin") = ymin();
Physical Surface("ymax") = ymax();
Physical Surface("zmin") = zmin();
Physical Surface("zmax") = zmax();
Physical Surface("interface") = Surface In BoundingBox{0.24, 0.24, 0.24, 0.76, 0.76, 0.76};
// opposite faces carry copies of each other's nodes (gmsh's periodic entities)
Periodic Surface{xmax()} = {xmin()} Translate{1, 0, 0};
Periodic Surface{ymax()} = {ymin()} Translate{0, 1, 0};
Periodic Surface{zmax()} = {zmin()} Translate{0, 0, 1};
MeshSize{ PointsOf{ Volume{:}; } } = lc;
Mesh.MeshSizeMax = lc;

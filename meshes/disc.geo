// The unit disc (radius 1, centre at the origin) with its rim named, triangles of size lc.
// The .msh beside it: .venv/bin/python meshes/make_meshes.py (or gmsh -2 disc.geo).
SetFactory("OpenCASCADE");
DefineConstant[ lc = {0.05, Name "Parameters/mesh size"} ];

Disk(1) = {0, 0, 0, 1.0};
Physical Surface("disc") = {1};
Physical Curve("rim") = Boundary{ Surface{1}; };
MeshSize{ PointsOf{ Surface{1}; } } = lc;
Mesh.MeshSizeMax = lc;
Mesh.Algorithm = 6;
